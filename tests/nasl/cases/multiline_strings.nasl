# Both string kinds may span lines; in '...' a backslash before the newline joins lines.
s = "one
two";
display(strlen(s), "\n");
d = 'three \
four';
display(d, "|", strlen(d), "\n");
