# get_kb_list() keeps one entry per value: foreach sees them all; l[name] is the newest.
set_kb_item(name: "Host/dup", value: "one");
set_kb_item(name: "Host/dup", value: "two");
l = get_kb_list("Host/dup");
n = 0; foreach v (l) n++;
s = sort(l);
display(n, " ", s[0], " ", s[1], " | ", l["Host/dup"], " ", typeof(l["Host/dup"]), "\n");
