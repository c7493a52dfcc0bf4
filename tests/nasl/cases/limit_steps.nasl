# limits: max_steps=1000
# An endless loop ends at the step budget (an ixion limit: C would loop forever).
display("start\n");
while (TRUE) i++;
