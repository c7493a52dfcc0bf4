# Clock built-ins. The test clock reads 2023-11-14 22:13:20.25 UTC and moves only on sleep().
display(unixtime(), " ", gettimeofday(), " ", typeof(gettimeofday()), "\n");
t = localtime(unixtime(), utc: TRUE);
display(t["year"], "-", t["mon"], "-", t["mday"], " ", t["hour"], ":", t["min"], ":", t["sec"], " wday ", t["wday"], " yday ", t["yday"], " isdst ", t["isdst"], "\n");
display(mktime(year: 2023, mon: 11, mday: 14, hour: 22, min: 13, sec: 20), " ", mktime(year: 123, mon: 13, mday: 1), "\n");
sleep(2); usleep(500000);
display(unixtime(), " ", gettimeofday(), "\n");
r = rand();
display(r >= 0 && r < 2147483648, "\n");
