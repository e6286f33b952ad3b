// Tests for RTCDTLS are added here.
