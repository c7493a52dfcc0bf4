# repeat ... until runs its body at least once and stops when the condition is TRUE.
n = 0;
repeat n++; until (TRUE);
display("n=", n, "\n");
i = 0;
repeat { i += 2; if (i == 4) continue; display(i, " "); } until (i >= 8);
display("\n");
repeat { display("once "); break; } until (FALSE);
display("\n");
