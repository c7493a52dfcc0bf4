# raw_string(): ints are bytes; strings have their own escapes, where an unknown one vanishes.
r = raw_string(0x48, 105, 0x10A, "\x21\n", 'z');
display(strlen(r), " ", hexstr(r), " ", typeof(r), "\n");
display(hexstr(raw_string("a\qb\\c")), "\n");
