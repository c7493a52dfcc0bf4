# limits: timeout=10
# sleep() never sleeps past the script's deadline (an ixion limit).
sleep(4);
display("slept\n");
sleep(20);
display("never\n");
