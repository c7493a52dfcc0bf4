# Comparisons do not chain (nasl.md §2.2): this file does not parse, so nothing runs.
display("never\n");
if (1 < 2 < 3) display("never either\n");
