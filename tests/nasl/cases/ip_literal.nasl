# An IP literal is a string (nasl.md §2.1).
ip = 198.51.100.7;
display(ip, " ", typeof(ip), " ", strlen(ip), "\n");
display(127.0.0.1 + ":80", "\n");
