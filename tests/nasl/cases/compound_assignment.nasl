# Compound assignments use the operators' rules and yield the new value.
a = 10; a += 5; a -= 3; a *= 2; a /= 5; a %= 3;
display(a, "\n");
s = "ab"; s += "cd"; s -= "b";
display(s, " ", typeof(s), "\n");
b = 1; b <<= 40; c = -1; c >>= 4; d = -1; d >>>= 4;
display(b, " ", c, " ", d, "\n");
e = f = 3; e += f += 4;
display(e, " ", f, "\n");
m["k"] += 1; m["k"] += 1;
display(m["k"], "\n");
