# limits: max_runs=3
# A script cannot fork into more runs than max_runs (an ixion limit).
set_kb_item(name: "K", value: 1); set_kb_item(name: "K", value: 2);
set_kb_item(name: "K", value: 3); set_kb_item(name: "K", value: 4);
k = get_kb_item("K");
display(k, "\n");
