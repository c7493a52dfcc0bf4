# - removes the first copy of the right string from the left one, with +'s typing rules.
display("hello world" - "o", "|", "abc" - "x", "|", "abc" - "", "|", "ab" - "abc", "\n");
display(typeof('abc' - "b"), " ", 'abc' - "b", " ", typeof("abc" - 'b'), "\n");
display(NULL - 5, " ", 5 - NULL, " ", typeof(NULL - "a"), "\n");
display("10" - 3, "|", 13 - "3", "|", typeof(13 - "3"), "|", 10 - 3, "\n");
s = "aXbXc"; s -= "X";
display(s, "\n");
