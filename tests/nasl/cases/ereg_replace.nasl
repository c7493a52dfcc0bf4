# ereg_replace(): every match replaced; \1..\9 insert groups (nasl.md §2.7).
display(ereg_replace(string: "a1b22c333", pattern: "[0-9]+", replace: "#"), "\n");
display(ereg_replace(string: "John Smith", pattern: "([a-z]+) ([a-z]+)", replace: "\2, \1", icase: TRUE), "\n");
display(ereg_replace(string: "aaa", pattern: "^a", replace: "b"), "\n");
display(ereg_replace(string: "abc", pattern: "x*", replace: "-"), "\n");
display(ereg_replace(string: "abc", pattern: "(b)", replace: "[\1\2\\]"), "\n");
display(typeof(ereg_replace(string: "same", pattern: "zz", replace: "y")), "\n");
