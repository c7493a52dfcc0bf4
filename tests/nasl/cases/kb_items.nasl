# The knowledge base (nasl.md §2.6): set, replace, get items and lists; it starts empty.
set_kb_item(name: "Test/int", value: 42);
set_kb_item(name: "Test/str", value: "hello");
v = get_kb_item("Test/int");
w = get_kb_item("Test/str");
display(v, " ", typeof(v), " ", w, " ", typeof(w), " ", isnull(get_kb_item("Test/missing")), "\n");
replace_kb_item(name: "Test/str", value: "replaced");
display(get_kb_item("Test/str"), "\n");
set_kb_item(name: "Test/many", value: 1);
set_kb_item(name: "Test/many", value: 2);
set_kb_item(name: "Test/many", value: 1);
display(get_kb_item("Test/many", TRUE), " ", get_kb_fresh_item("Test/many"), "\n");
l = get_kb_list("Test/*");
foreach k (keys(l)) display(k, "=", l[k], " ");
display("\n");
set_kb_item(name: "Test/bad", value: -1);
display(isnull(get_kb_list("Nothing/*")), isnull(get_kb_item("Test/bad")), "\n");
