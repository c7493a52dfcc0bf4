# Each fork sees the KB writes of the forks before it; on_exit() runs once per fork.
function on_exit() { display("on_exit for ", p, "\n"); }
nosuch();
set_kb_item(name: "Ports", value: 21);
set_kb_item(name: "Ports", value: 22);
p = get_kb_item("Ports");
seen = 0;
foreach v (get_kb_list("Seen/*")) seen++;
display("port ", p, " sees ", seen, " earlier port(s)\n");
set_kb_item(name: "Seen/" + p, value: TRUE);
