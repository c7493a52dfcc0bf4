# make_list() flattens one level and skips undef; make_array() pairs keys and values; sort().
l = make_list(1, make_list(2, 3), NULL, "x");
display(max_index(l), ": ", l[0], l[1], l[2], l[3], "\n");
m = make_array("f", 1, 7, "seven", "g", make_list(9));
display(m["f"], " ", m[7], " ", isnull(m["g"]), " ", max_index(m), "\n");
display(make_array("lonely"), "\n");
s = sort(3, "b", 10, "a", 9);
foreach v (s) display(v, " ");
display("\n");
display(max_index(make_list()), " ", isnull(max_index(5)), "\n");
