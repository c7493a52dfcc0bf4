# + concatenates if either side is a string: data beats string beats int; undef is neutral.
display(1 + 2, " ", 1 + "2", " ", "1" + 2, " ", "a" + 'b', "\n");
display(typeof(1 + "2"), " ", typeof('a' + 1), " ", typeof("a" + 'b'), " ", typeof("a" + "b"), "\n");
display(NULL + 5, " ", 5 + NULL, " ", typeof(NULL + "s"), " ", typeof(NULL + NULL), "\n");
x += "tail";
display(x, " ", typeof(x), "\n");
display(-1 + "x", " ", 10 + 20 + "30" + 40 + 50, "\n");
