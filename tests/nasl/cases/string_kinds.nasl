# "..." is a string taken verbatim; '...' is data with its escapes decoded (nasl.md §2.1).
s = "a\nb";
d = 'a\nb';
display(typeof(s), " ", strlen(s), " ", typeof(d), " ", strlen(d), "\n");
display(strlen('\t\r\\\'\"'), " ", strlen('\x41\0B'), " ", ord('\x41'), " ", ord('\0'), "\n");
display(hexstr('\x00\x7f\xff'), " ", hexstr("\x41"), "\n");
display('raw \\n stays: ', '\\n', "\n");
display("display() un-escapes strings: [\t]\n");
display('data keeps \\t: [', '\\t', "]\n");
display('nul shown as a dot: [\0]\n');
