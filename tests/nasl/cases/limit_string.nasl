# limits: max_string=1000
# Strings cannot outgrow max_string, however they are built (an ixion limit).
s = crap(500);
s = s + s;
display(strlen(s), "\n");
s = s + "x";
