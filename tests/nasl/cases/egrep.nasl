# egrep(): the matching lines, each ended by a newline; empty data if none match.
text = 'Server: test\n\nContent-Type: text/html\nserver-timing: x\n';
display(egrep(string: text, pattern: "^server"));
display(egrep(string: text, pattern: "^server", icase: TRUE));
r = egrep(string: text, pattern: "nomatch");
display(typeof(r), " ", strlen(r), "\n");
display(egrep(string: '\n\nx\n\ny\n', pattern: "."));
