-- The interval the caller wanted to be called back in (ACD14 "wanted interval"), as wall-clock epoch
-- seconds: NULL from = as soon as possible (the caller keeps their place), NULL until = no end.
ALTER TABLE callbacks ADD COLUMN wanted_from REAL;
ALTER TABLE callbacks ADD COLUMN wanted_until REAL;
