package pulls

import "time"

// Time stamps are read by hand, byte by byte, into Unix seconds: every line
// of a log has one, and time.Parse would need a string (an allocation) per
// line. Sub-second digits are checked and dropped: the history keeps
// seconds, which is what the access log writes anyway.

// maxUnix is 9999-12-31T23:59:59Z, the last second a four-digit year names.
const maxUnix = 253402300799

// parseRFC3339 reads "2006-01-02T15:04:05[.frac](Z|±hh:mm)" as logrus,
// notification events and kubectl --timestamps write it. It accepts a
// subset of what time.Parse(time.RFC3339Nano) accepts and agrees with it
// on that subset (FuzzTimes checks both).
func parseRFC3339(b []byte) (int64, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	min, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, false
	}
	rest := b[19:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 {
			return 0, false
		}
		rest = rest[n:]
	}
	var offset int64
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		offset = int64(oh*3600 + om*60)
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	t, ok := civil(year, month, day, hour, min, sec)
	return inRange(t-offset, ok)
}

// parseCommonLog reads "02/Jan/2006:15:04:05 -0700", the time of the
// combined access log (Apache's %t, nginx's $time_local).
func parseCommonLog(b []byte) (int64, bool) {
	if len(b) != 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' || b[20] != ' ' {
		return 0, false
	}
	day, ok1 := digits(b[0:2])
	year, ok2 := digits(b[7:11])
	hour, ok3 := digits(b[12:14])
	min, ok4 := digits(b[15:17])
	sec, ok5 := digits(b[18:20])
	oh, ok6 := digits(b[22:24])
	om, ok7 := digits(b[24:26])
	month := monthOf(b[3:6])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || month == 0 || oh > 23 || om > 59 {
		return 0, false
	}
	offset := int64(oh*3600 + om*60)
	switch b[21] {
	case '-':
		offset = -offset
	case '+':
	default:
		return 0, false
	}
	t, ok := civil(year, month, day, hour, min, sec)
	return inRange(t-offset, ok)
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// monthOf is 1 to 12 for "Jan" to "Dec", 0 otherwise.
func monthOf(b []byte) int {
	for i, m := range months {
		if string(b) == m {
			return i + 1
		}
	}
	return 0
}

// digits reads an unsigned decimal of ASCII digits only.
func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// civil is the Unix time of a UTC date and time, after checking each
// field's range (day within its month, leap years included; no leap
// seconds, as time.Parse).
func civil(year, month, day, hour, min, sec int) (int64, bool) {
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || min > 59 || sec > 59 {
		return 0, false
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC).Unix(), true
}

// inRange keeps the times a history can hold (validTime): a line dated
// before 1970 or after 9999 has no usable time.
func inRange(t int64, ok bool) (int64, bool) {
	if !ok || !validTime(t) {
		return 0, false
	}
	return t, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
