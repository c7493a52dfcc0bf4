# limits: max_array=100
# An array index cannot reach max_array (an ixion limit).
a[99] = 1;
display(max_index(a), "\n");
a[100] = 1;
