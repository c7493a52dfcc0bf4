# Stores C refuses: into a string's character, into an integer, at a negative index.
s = "abc";
s[0] = "X";
display(s, "\n");
n = 5;
n[1] = 2;
display(n, "\n");
a = make_list(1);
a[-1] = 2;
display(max_index(a), "\n");
