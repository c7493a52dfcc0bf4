# string() and display() un-escape \n \t \r \\ \xHH in "..." strings, never in data.
s = string("a\tb\x41\\z");
display(typeof(s), " ", strlen(s), " ", hexstr(s), "\n");
d = string('a\\tb');
display(strlen(d), " ", d, "\n");
display(string(1, "+", 2, "=", 1 + 2), "\n");
n = display("12345\n");
display(n, "\n");
display('bytes: ', raw_string(0x01, 0x41, 0xff), "\n");
x = string("a\qb");
display(x, "\n");
y = string("\xZZ!");
display(y, "\n");
