# An array where a string is wanted prints as C's array2str prints it.
a = make_list(1, "ab");
a["f"] = 'x';
display(a, "\n");
display("in a string: " + make_list(7), "\n");
