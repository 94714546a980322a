"""Published facts of the reference study (Foshan, 2024), from ../shared/PAPER.md.

Only the demo and its report use these; nothing in the pipeline depends on them.
"""

from __future__ import annotations

# GB/T 2260 district codes and names.
DISTRICTS = {
    "440604": ("禅城区", "Chancheng"),
    "440605": ("南海区", "Nanhai"),
    "440606": ("顺德区", "Shunde"),
    "440607": ("三水区", "Sanshui"),
    "440608": ("高明区", "Gaoming"),
}

# Table 1: (sector, district code) -> (clusters, max enterprises, mean enterprises).
TABLE1 = {
    ("comms", "440604"): (31, 178, 76.77),
    ("comms", "440605"): (25, 173, 66.36),
    ("comms", "440606"): (10, 95, 56.90),
    ("software", "440604"): (125, 604, 116.03),
    ("software", "440605"): (107, 593, 86.75),
    ("software", "440606"): (51, 252, 65.51),
    ("software", "440608"): (8, 82, 59.75),
    ("software", "440607"): (1, 45, 45.0),
}
CLUSTERS_IN_TEXT = {"comms": 65, "software": 285}  # the text's totals (the table sums to 66/292)

# The 2024 "basic pool" after screening (method step 3).
POOL = {"division_39": 15305, "digital_label": 12200, "software": 84256}
RAW_POOL = 120000  # approximate raw records before screening

# Survey of 246 firms.
SURVEY = {
    "micro_small_share_min": 0.55,  # micro and small are more than 55% of firms in clusters
    "micro_small_digital_coverage": 0.12,
    "capital_ratio_micro_small_to_large": 1 / 20,
}
