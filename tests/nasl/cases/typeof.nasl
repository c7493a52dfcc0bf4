# typeof() names the five types (nasl.md §2.3); with no argument C answers "null".
display(typeof(1), " ", typeof("s"), " ", typeof('d'), " ", typeof(make_list()), " ", typeof(NULL), " ", typeof(), "\n");
display(typeof(typeof(1)), " ", typeof("a" + 'b'), " ", typeof("a" + 1), " ", typeof(1 + 1), "\n");
