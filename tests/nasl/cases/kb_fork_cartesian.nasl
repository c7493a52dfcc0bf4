# Two forking reads multiply: every (a, b) pair runs, depth first, newest values first.
set_kb_item(name: "A", value: "a1"); set_kb_item(name: "A", value: "a2");
set_kb_item(name: "B", value: "b1"); set_kb_item(name: "B", value: "b2");
display("start\n");
a = get_kb_item("A");
display("got ", a, "\n");
b = get_kb_item("B");
display(a, "+", b, "\n");
