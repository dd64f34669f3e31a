"""Fair editions, their categories and their phases."""
