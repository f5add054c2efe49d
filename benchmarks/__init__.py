"""Speed and memory goals of the workbook, measured against naive baselines (`make bench`)."""
