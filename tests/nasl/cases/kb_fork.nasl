# get_kb_item() with several values runs the rest of the script once per value, newest first.
set_kb_item(name: "Services/www", value: 80);
set_kb_item(name: "Services/www", value: 8080);
set_kb_item(name: "Services/www", value: 443);
display("before the fork\n");
port = get_kb_item("Services/www");
display("port ", port, "\n");
