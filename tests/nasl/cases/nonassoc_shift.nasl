# Shifts do not chain either (nasl.md §2.2): nothing of this file runs.
display("never\n");
x = 1 << 2 << 3;
