# A comment line; whitespace is free-form (nasl.md §2.1).
x = 1; # a trailing comment
display(
  "x=",   x,
  "\n"
);
# display("not run: this is a comment\n");
y=2;z=3;display(y+z,"\n");
