"""The post-import checksum's source side: per-row hashes of rows as the target will store
them (:mod:`.hasher`), the canonical form of each column type (:mod:`.forms`), the slow-path
literal decoder (:mod:`.literal`) and the per-table book kept while importing (:mod:`.book`).
The target side and the comparison are :mod:`tidb_lightning.postprocess.checksum`."""
