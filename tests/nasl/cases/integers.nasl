# Integer literals (nasl.md §2.1): decimal, hex, octal; an 8 or 9 makes "octal" decimal.
display(10, " ", 0x1F, " ", 0X1f, " ", 017, " ", 019, " ", 0, "\n");
display(0x7fffffffffffffff, " ", 0xffffffffffffffff, "\n");
display(9223372036854775808, "\n");
display(typeof(017), "\n");
