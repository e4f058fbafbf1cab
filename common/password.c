#include "password.h"
typedef int placeholder_password;
