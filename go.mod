module hybridgen

go 1.26.8
