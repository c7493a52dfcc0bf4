# limits: max_call_depth=50
# Runaway recursion ends at the call-depth cap (an ixion limit).
function down(n) { return down(n: n + 1); }
down(n: 0);
