# Array literals (nasl.md §2.2): atoms, optionally "key" => atom.
l = [1, "two", 'three'];
display(max_index(l), " ", l[0], l[1], l[2], " ", typeof(l[1]), " ", typeof(l[2]), "\n");
m = ["k" => 5, "f" => "x"];
display(m["k"], m["f"], " ", max_index(m), "\n");
foreach v (make_list(l, m)) display(v, ",");
display("\n");
