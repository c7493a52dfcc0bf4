# Arithmetic reads strings with strtol (hex, octal, leading blanks); int() uses atol.
display("0x1A" * 1, " ", "010" * 1, " ", "  7" * 2, " ", "-5" * 2, " ", "" * 3, "\n");
display("12abc" * 1, "\n");
display(int("0x10"), " ", int("010"), " ", int("12abc"), " ", int(" 42"), " ", int(NULL), " ", int("-3"), "\n");
display("3" + 4, " ", "3" * 4, " ", "9" > 10, "\n");
