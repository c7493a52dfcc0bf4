# String built-ins and their C quirks: an int's size is 0, results are data.
display(strlen("abc"), strlen('a\0b'), strlen(12345), strlen(NULL), " ", strcat("a", 1, 'b', NULL, 2), "\n");
display(substr("abcdef", 2), " ", substr("abcdef", 1, 3), " ", substr("abcdef", 4, 100), " [", substr("abc", 2, 1), "] [", substr(12345, 1), "] ", typeof(substr("abc", 0)), "\n");
display(insstr("abcdef", "XY", 2), " ", insstr("abcdef", "XY", 2, 3), " ", insstr("abcdef", "XY", 0, 0), "\n");
display(ord("A"), " ", ord(""), " ", ord(5), " ", hex(255), " ", hex(256), " ", hex(-2), " ", typeof(hex(1)), " ", hexstr("AB"), " ", hexstr(10), "\n");
display(tolower("MiXeD"), toupper("MiXeD"), " [", chomp('  text \r\n\t '), "]\n");
display(crap(5), " ", crap(length: 7, data: "ab"), " ", crap(data: "xyz", length: 2), " ", isnull(crap(0)), "\n");
display(stridx("abcabc", "c"), stridx("abcabc", "c", 3), stridx("abc", "z"), stridx("abc", "", 1), "\n");
display(strstr("user@example.org", "@"), " ", isnull(strstr("abc", "z")), "\n");
display(str_replace(string: "a-b-c-d", find: "-", replace: "+"), " ", str_replace(string: "a-b-c-d", find: "-", replace: "", count: 2), "\n");
display(match(string: "foo.nasl", pattern: "*.nasl"), match(string: "FOO", pattern: "f?o", icase: TRUE), match(string: "foo", pattern: "f?"), "\n");
