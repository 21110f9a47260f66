/*
 * The application minnow runs when none is linked in.  A stub domain
 * defines its own app_main() and links it before libminnow.a, so this
 * object is never pulled out of the archive (README: "Linking an app").
 */
#include <minnow/app.h>
#include <minnow/control.h>

int app_main(void)
{
    return control_wait_for_toolstack();
}
