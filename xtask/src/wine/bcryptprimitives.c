/* A stand-in for Windows' bcryptprimitives.dll, for Wine before 8.13, which lacks it.
 *
 * Rust's standard library (1.78 and later) takes its random bytes from ProcessPrng in
 * bcryptprimitives.dll; a Rust program started by Wine 8.0 without it exits at once with
 * code 53 and prints nothing. This DLL exports ProcessPrng and answers it with Windows'
 * older RtlGenRandom (SystemFunction036 in advapi32), which Wine has long had.
 *
 * Built by `cargo xtask test` with mingw-w64 for x64 and x86 (-Wl,--kill-at, so the 32-bit
 * export is undecorated) and copied into the test prefix's system32 and syswow64. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
