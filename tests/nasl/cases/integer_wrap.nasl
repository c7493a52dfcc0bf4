# Integers are C longs: every operation wraps to signed 64 bits (nasl.md §2.3).
max = 9223372036854775807;
min = -max - 1;
display(max + 1, " ", min - 1, "\n");
display(max * 2, " ", -min, " ", min * -1, "\n");
display(4294967296 * 4294967296, " ", 3037000500 * 3037000500, "\n");
