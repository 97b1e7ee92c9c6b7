"""docs/configuration.md is generated from the model; it must be current."""
from pathlib import Path

from tidb_lightning.config.reference import render

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_configuration_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "regenerate: python -m tidb_lightning.config.reference > docs/configuration.md")


def test_reference_lists_every_section():
    text = render()
    for section in ("[lightning]", "[tidb]", "[checkpoint]", "[mydumper]", "[mydumper.csv]",
                    "[tikv-importer]", "[post-restore]", "[cron]", "[security]", "[[routes]]"):
        assert f"`{section}`" in text
