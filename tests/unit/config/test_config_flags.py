"""Command-line flags: parse_cli(), Go-style spellings, overrides, the ctl reuse hooks."""
from __future__ import annotations


import pytest

from tidb_lightning.config import (
    COMMON_FLAGS,
    CliArgs,
    add_bool_flag,
    build_parser,
    overrides_from_args,
    parse_args,
    parse_cli,
)
from tidb_lightning.config.flags import normalize_argv
from tidb_lightning.errors import ConfigError, NotBuiltError



def overrides(argv: list[str]) -> dict[str, object]:
    return overrides_from_args(parse_args(build_parser(), argv))


# --------------------------------------------------------------------------- upstream cmdline_override

WRONG_EVERYWHERE = """
[lightning]
level = "xyzxyzxyz"
file = "xyzxyzxyz"
check-requirements = true
status-addr = "xyzxyzxyz"

[tikv-importer]
backend = "xyzxyzxyz"
addr = "xyzxyzxyz"
sorted-kv-dir = "xyzxyzxyz"

[mydumper]
data-source-dir = "xyzxyzxyz"
no-schema = false
filter = ["xyzxyzxyz.*"]

[tidb]
host = "xyzxyzxyz"
port = 123456
user = "xyzxyzxyz"
password = "xyzxyzxyz"
status-port = 123456
pd-addr = "xyzxyzxyz"

[checkpoint]
enable = true

[post-restore]
checksum = "xyzxyzxyz"
analyze = "xyzxyzxyz"

[security]
ca-path = "xyzxyzxyz"
cert-path = "xyzxyzxyz"
key-path = "xyzxyzxyz"
redact-info-log = false
"""


def test_flags_fully_override_a_config_of_wrong_values(write):
    path = write(WRONG_EVERYWHERE)
    res = parse_cli([
        "-L", "debug",
        "--log-file", "/tmp/lightning.log",
        "--tidb-host", "127.0.0.1",
        "--tidb-port", "4000",
        "--tidb-user", "root",
        "--tidb-password", "",
        "--tidb-status", "10080",
        "--pd-urls", "127.0.0.1:2379",
        "-d", "tests/data",
        "--importer", "127.0.0.1:8808",
        "--backend", "tidb",
        "--sorted-kv-dir", "/tmp/sorted",
        "--no-schema",
        "--enable-checkpoint=0",
        "--check-requirements=0",
        "--checksum", "off",
        "--analyze", "off",
        "-f", "db.*",
        "--ca", "", "--cert", "", "--key", "",
        "--redact-info-log=false",
        "--status-addr", "",
        "--config", path,
    ])
    assert isinstance(res, CliArgs) and res.version is False and res.config_path == path
    cfg = res.config
    assert "xyzxyzxyz" not in cfg.redacted()
    assert cfg.tidb.password == ""
    assert cfg.lightning.level == "debug"
    assert cfg.lightning.file == "/tmp/lightning.log"
    assert cfg.lightning.check_requirements is False
    assert cfg.lightning.status_addr == ""
    assert (cfg.tidb.host, cfg.tidb.port, cfg.tidb.user, cfg.tidb.status_port, cfg.tidb.pd_addr) == (
        "127.0.0.1", 4000, "root", 10080, "127.0.0.1:2379")
    assert cfg.mydumper.data_source_dir == "tests/data"
    assert cfg.mydumper.no_schema is True
    assert cfg.mydumper.filter == ["db.*"] and cfg.mydumper.filter_given is True
    assert (cfg.tikv_importer.backend, cfg.tikv_importer.addr, cfg.tikv_importer.sorted_kv_dir) == (
        "tidb", "127.0.0.1:8808", "/tmp/sorted")
    assert cfg.checkpoint.enable is False
    assert (cfg.post_restore.checksum, cfg.post_restore.analyze) == ("off", "off")  # --analyze off
    assert (cfg.security.ca_path, cfg.security.cert_path, cfg.security.key_path) == ("", "", "")
    assert cfg.not_built == []


def test_every_flag_maps_to_its_config_key():
    got = overrides([
        "-d", "dir", "-L", "warn", "-f", "a.*", "--backend", "tidb", "--log-file", "l.log",
        "--tidb-host", "h", "--tidb-port", "1", "--tidb-user", "u", "--tidb-password", "p",
        "--tidb-status", "2", "--pd-urls", "pd", "--importer", "imp", "--sorted-kv-dir", "kv",
        "--no-schema", "--enable-checkpoint=false", "--analyze", "required", "--checksum", "optional",
        "--check-requirements=false", "--ca", "ca", "--cert", "cert", "--key", "key",
        "--redact-info-log", "--status-addr", ":1", "--server-mode", "--status-token", "tok",
    ])
    assert got == {
        "mydumper.data-source-dir": "dir",
        "lightning.level": "warn",
        "mydumper.filter": ["a.*"],
        "tikv-importer.backend": "tidb",
        "lightning.file": "l.log",
        "tidb.host": "h",
        "tidb.port": 1,
        "tidb.user": "u",
        "tidb.password": "p",
        "tidb.status-port": 2,
        "tidb.pd-addr": "pd",
        "tikv-importer.addr": "imp",
        "tikv-importer.sorted-kv-dir": "kv",
        "mydumper.no-schema": True,
        "checkpoint.enable": False,
        "post-restore.analyze": "required",
        "post-restore.checksum": "optional",
        "lightning.check-requirements": False,
        "security.ca-path": "ca",
        "security.cert-path": "cert",
        "security.key-path": "key",
        "security.redact-info-log": True,
        "lightning.status-addr": ":1",
        "lightning.server-mode": True,
        "lightning.status-token": "tok",
    }
    assert {spec.key for spec in COMMON_FLAGS if spec.key} == set(got)


def test_no_flags_no_overrides():
    assert overrides([]) == {}


def test_file_wins_when_flag_not_given(write):
    path = write('[tidb]\nhost = "file-host"\nport = 3307\n[tikv-importer]\nbackend = "tidb"\n')
    cfg = parse_cli(["--config", path]).config
    assert (cfg.tidb.host, cfg.tidb.port) == ("file-host", 3307)


# --------------------------------------------------------------------------- Go-style spellings

def test_go_style_single_dash_long_flags(write):
    path = write("[mydumper]\nno-schema = false\n")
    cfg = parse_cli(["-L", "info", "--log-file", "x.log", "-config", path, "-backend", "tidb",
                     "-d=dir", "-tidb-port", "3306", "-tidb-host=10.0.0.1", "-no-schema"]).config
    assert cfg.lightning.level == "info" and cfg.lightning.file == "x.log"
    assert cfg.mydumper.data_source_dir == "dir"
    assert cfg.tidb.port == 3306 and cfg.tidb.host == "10.0.0.1"
    assert cfg.mydumper.no_schema is True


def test_config_spellings_and_last_one_wins(write):
    a = write('[tidb]\nhost = "a"\n', "a.toml")
    b = write('[tidb]\nhost = "b"\n', "b.toml")
    base = ["--backend", "tidb"]
    assert parse_cli(base + ["--config", a]).config.tidb.host == "a"
    assert parse_cli(base + ["--config=" + a]).config.tidb.host == "a"
    assert parse_cli(base + ["-config=" + a]).config.tidb.host == "a"
    assert parse_cli(base + ["-c", a]).config.tidb.host == "a"
    assert parse_cli(base + ["-c", a, "--config", b]).config.tidb.host == "b"
    assert parse_cli(base + ["--config", b, "-c", a]).config.tidb.host == "a"


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True"])
def test_go_bool_true_forms(text):
    assert overrides([f"--no-schema={text}"]) == {"mydumper.no-schema": True}
    assert overrides([f"-redact-info-log={text}"]) == {"security.redact-info-log": True}


@pytest.mark.parametrize("text", ["0", "f", "F", "FALSE", "false", "False"])
def test_go_bool_false_forms(text):
    assert overrides([f"--enable-checkpoint={text}"]) == {"checkpoint.enable": False}
    assert overrides([f"-check-requirements={text}"]) == {"lightning.check-requirements": False}


def test_bool_flags_only_move_one_way():
    # --no-schema / --redact-info-log / --server-mode only turn on; the other two only turn off.
    assert overrides(["--no-schema=false", "--redact-info-log=0", "--server-mode=f"]) == {}
    assert overrides(["--enable-checkpoint=true", "--check-requirements=1", "--enable-checkpoint"]) == {}


def test_no_schema_false_does_not_clear_the_file(write):
    path = write('[mydumper]\nno-schema = true\n[checkpoint]\nenable = false\n')
    cfg = parse_cli(["--backend", "tidb", "--config", path, "--no-schema=false", "--enable-checkpoint=true"]).config
    assert cfg.mydumper.no_schema is True
    assert cfg.checkpoint.enable is False


def test_bool_flag_with_separate_word_and_before_other_flags():
    assert overrides(["--enable-checkpoint", "false", "-d", "x"]) == {
        "checkpoint.enable": False, "mydumper.data-source-dir": "x"}
    assert overrides(["--no-schema", "-d", "x"]) == {"mydumper.no-schema": True, "mydumper.data-source-dir": "x"}


def test_value_flags_take_the_next_word_even_with_a_dash():
    assert overrides(["--log-file", "-"]) == {"lightning.file": "-"}
    assert overrides(["--tidb-password", "-dash-pw"]) == {"tidb.password": "-dash-pw"}
    assert overrides(["-d", "-odd-dir"]) == {"mydumper.data-source-dir": "-odd-dir"}
    assert overrides(["-tidb-password=a=b"]) == {"tidb.password": "a=b"}
    assert overrides(["-d=", "-f", "=odd", "-f=-neg"]) == {"mydumper.data-source-dir": "", "mydumper.filter": ["=odd", "-neg"]}
    assert parse_args(build_parser(), ["-V=false"]).version is False


def test_filter_flag_is_repeatable_and_replaces_the_default():
    cfg = parse_cli(["--backend", "tidb", "-f", "f*.*", "-f", "!firstdb.*", "-f=seconddb.fourth"]).config
    assert cfg.mydumper.filter == ["f*.*", "!firstdb.*", "seconddb.fourth"]
    assert cfg.mydumper.filter_given is True


def test_normalize_argv():
    parser = build_parser()
    assert normalize_argv(parser, ["-config", "x.toml", "-d=dir", "--no-schema", "false", "-L", "info",
                                   "--log-file", "-", "-V", "-Ldebug", "--", "-x"]) == [
        "--config=x.toml", "-d", "dir", "--no-schema=false", "-L", "info", "--log-file=-", "-V", "-Ldebug",
        "--", "-x"]
    assert normalize_argv(parser, ["-d", "-x", "-f=!a.*", "-d=", "-V=false", "-f", "=odd"]) == [
        "-d-x", "-f", "!a.*", "-d", "", "-V", "false", "-f", "=odd"]


# --------------------------------------------------------------------------- -V and -h

def test_version_flag_skips_loading(tmp_path):
    res = parse_cli(["-V", "--config", str(tmp_path / "missing.toml")])
    assert res == CliArgs(config=None, version=True, config_path=str(tmp_path / "missing.toml"))
    assert parse_cli(["-V"]).version is True


def test_help_lists_every_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        parse_cli(["-h"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    for spec in COMMON_FLAGS:
        for name in spec.names:
            assert f"  {name}" in out, name
        assert " ".join(spec.help.split()) in flat, spec.help
    with pytest.raises(SystemExit):
        parse_cli(["-help"])


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--nope"], "--nope"),
        (["-x"], "-x"),
        (["--tidb-port", "abc"], "--tidb-port"),
        (["--tidb-status=x"], "--tidb-status"),
        (["-L", "loud"], "-L"),
        (["--checksum", "maybe"], "--checksum"),
        (["--analyze=sometimes"], "--analyze"),
        (["--no-schema=maybe"], "--no-schema"),
        (["--tidb-host"], "--tidb-host"),
        (["stray-argument"], "stray-argument"),
        (["--backend", "tidb", "--tidb-port", "70000"], "tidb.port"),
        (["--backend", "xyz"], "tikv-importer.backend"),
        (["--backend", "tidb", "--server-mode"], "status-addr"),
    ],
)
def test_bad_flags_raise_config_error(argv, needle):
    with pytest.raises(ConfigError) as exc:
        parse_cli(argv)
    assert not isinstance(exc.value, NotBuiltError)
    assert needle in str(exc.value)


def test_no_abbreviations():
    with pytest.raises(ConfigError):
        parse_cli(["--tidb-ho", "x", "--backend", "tidb"])


def test_not_built_via_flags():
    assert parse_cli(["-d", "x"]).config.tikv_importer.backend == "local"  # upstream's default
    with pytest.raises(NotBuiltError, match="--backend importer"):
        parse_cli(["--backend", "importer"])
    assert parse_cli(["--backend", "tidb", "--server-mode", "--status-addr", ":8289"]).config.lightning.server_mode
    cfg = parse_cli(["--backend", "tidb", "--status-addr", ":8289", "--ca", "/ca.pem", "--checksum", "required"]).config
    text = "\n".join(cfg.not_built)
    assert "status" not in text and "TLS" not in text and "checksum" not in text
    # --enable-checkpoint can only turn checkpoints off, so the default never produces a message
    assert parse_cli(["--backend", "tidb", "--enable-checkpoint=true"]).config.not_built == []


# --------------------------------------------------------------------------- ctl reuse

def test_ctl_can_reuse_the_common_flags():
    parser = build_parser("tidb-lightning-ctl")
    add_bool_flag(parser, "--compact", dest="compact", help="do a full compaction")
    parser.add_argument("--checkpoint-remove", dest="checkpoint_remove", metavar="TABLE", help="remove a checkpoint")
    ns = parse_args(parser, ["-checkpoint-remove=all", "-compact", "-tidb-port", "3306", "-config", "x.toml"])
    assert ns.checkpoint_remove == "all" and ns.compact is True and ns.config == "x.toml"
    assert overrides_from_args(ns) == {"tidb.port": 3306}
    with pytest.raises(ConfigError, match="tidb-lightning-ctl"):
        parse_args(parser, ["--compact=perhaps"])
