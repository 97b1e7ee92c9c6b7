"""The README's demo: import a small sample dump into a throwaway MariaDB and show the result.

    python -m tidb_lightning.demo                 # starts a private MariaDB in a temp dir
    python -m tidb_lightning.demo --tidb-host H --tidb-port P [--tidb-user U --tidb-password X]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pymysql

from tidb_lightning import cli

SAMPLE = {
    "shop-schema-create.sql": "CREATE DATABASE `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n",
    "shop.customers-schema.sql": """/*!40101 SET NAMES binary*/;
CREATE TABLE `customers` (
  `id` int NOT NULL,
  `name` varchar(64) NOT NULL,
  `note` text,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
""",
    "shop.customers.000000000.sql": """/*!40101 SET NAMES binary*/;
INSERT INTO `customers` VALUES
(1,'Ada Lovelace','likes \\'quotes\\' and \\\\backslashes\\\\'),
(2,'李小龍','CJK text 中文 and emoji 🐉'),
(3,'Nobody',NULL),
(4,'Empty','');
""",
    "shop.orders-schema.sql": """CREATE TABLE `orders` (
  `id` bigint NOT NULL,
  `customer_id` int NOT NULL,
  `amount` decimal(12,2) NOT NULL,
  `created` datetime NOT NULL,
  PRIMARY KEY (`id`),
  KEY `k_customer` (`customer_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
""",
    "shop.orders.000000000.csv": "id,customer_id,amount,created\n"
    + "".join(f"{i},{i % 4 + 1},{i * 1.25:.2f},2026-11-{i % 28 + 1:02d} 12:00:00\n" for i in range(1, 1001)),
    "shop.big_spenders-schema.sql": "CREATE TABLE `big_spenders` (`customer_id` int, `total` decimal(34,2));\n",
    "shop.big_spenders-schema-view.sql": """/*!40101 SET NAMES binary*/;
DROP TABLE IF EXISTS `big_spenders`;
CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`10.0.0.1` SQL SECURITY DEFINER VIEW `big_spenders` AS
SELECT `customer_id`, SUM(`amount`) AS `total` FROM `orders` GROUP BY `customer_id`;
""",
}


def write_sample(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in SAMPLE.items():
        (directory / name).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tidb-host")
    ap.add_argument("--tidb-port", type=int)
    ap.add_argument("--tidb-user", default="root")
    ap.add_argument("--tidb-password", default="")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lightning-demo-"))
    server = None
    if args.tidb_host is None:
        from tidb_lightning.devserver import MariaDB
        print("starting a throwaway MariaDB in a temp dir ...", flush=True)
        server = MariaDB().start()
        host, port = "127.0.0.1", server.port
    else:
        host, port = args.tidb_host, args.tidb_port or 3306
    try:
        dump = work / "dump"
        write_sample(dump)
        print(f"sample dump written to {dump}", flush=True)
        conn = pymysql.connect(host=host, port=port, user=args.tidb_user, password=args.tidb_password,
                               autocommit=True, charset="utf8mb4")
        conn.cursor().execute("DROP DATABASE IF EXISTS shop")
        task = work / "task.toml"  # the demo's checkpoint lives with it, not in the shared /tmp
        task.write_text(f'[checkpoint]\ndsn = "{work / "checkpoint.pb"}"\n')
        code = cli.main(["--config", str(task), "-d", str(dump), "--backend", "tidb", "--tidb-host", host,
                         "--tidb-port", str(port), "--tidb-user", args.tidb_user,
                         "--tidb-password", args.tidb_password, "-f", "shop.*",
                         "--log-file", str(work / "import.log")])
        if code != 0:
            return code
        cur = conn.cursor()
        print("\nresult:")
        for table in ("customers", "orders"):
            cur.execute(f"SELECT COUNT(*) FROM shop.{table}")
            print(f"  shop.{table}: {cur.fetchone()[0]} rows")
        cur.execute("SELECT id, name, note FROM shop.customers ORDER BY id")
        for row in cur.fetchall():
            print(f"    {row}")
        cur.execute("SELECT customer_id, total FROM shop.big_spenders ORDER BY customer_id")
        print("  view shop.big_spenders:", cur.fetchall())
        conn.close()
        return 0
    finally:
        if server is not None:
            server.destroy()


if __name__ == "__main__":
    sys.exit(main())
