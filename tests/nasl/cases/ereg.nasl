# ereg(): TRUE if the pattern matches the first line (every line with multiline: TRUE).
text = 'first line\nsecond LINE';
display(ereg(string: text, pattern: "second"), ereg(string: text, pattern: "second", multiline: TRUE), ereg(string: text, pattern: "^first"), "\n");
display(ereg(string: "ABC", pattern: "abc"), ereg(string: "ABC", pattern: "abc", icase: TRUE), "\n");
display(ereg(string: '\nstarts with a newline', pattern: ".*"), ereg(string: "", pattern: "^$"), "\n");
display(ereg(string: 'a\0b', pattern: "a.x00b"), ereg(string: 'a\0b', pattern: "a.x00b", rnul: FALSE), "\n");
display(ereg(string: "x9", pattern: "[[:digit:]]"), ereg(string: "a\b", pattern: "[\]"), ereg(string: "d", pattern: "\d"), "\n");
display(isnull(ereg(string: "x", pattern: "(")), "\n");
