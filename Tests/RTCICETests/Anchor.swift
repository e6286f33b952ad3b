// Tests for RTCICE are added here.
