/*
 * bcryptprimitives.dll for Wine 8.0 (Debian 12), test use only.
 *
 * Since Go 1.22 a Windows Go program asks bcryptprimitives.dll for ProcessPrng at start-up
 * and stops with "fatal error: bcryptprimitives.dll not found" where it is missing. Every
 * Windows 10 and 11 has it; Wine added it only after 8.0. This stand-in answers ProcessPrng
 * with advapi32's RtlGenRandom (SystemFunction036), which Wine has. build/scripts/wine-test.sh
 * compiles it with MinGW into the throwaway Wine prefix; it never ships with Ferry.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
    while (size > 0) {
        ULONG n = size > 0x10000000 ? 0x10000000 : (ULONG)size;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        size -= n;
    }
    return TRUE;
}
