#include "otp.h"
typedef int placeholder_otp;
