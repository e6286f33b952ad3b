// Tests for RTCSCTP are added here.
