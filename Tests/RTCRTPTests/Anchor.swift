// Tests for RTCRTP are added here.
